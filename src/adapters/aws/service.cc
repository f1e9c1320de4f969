#include "adapters/aws/service.h"

namespace shoal::aws {

const ServiceInfo& InfoOf(Service service) {
  // Service ids as the SDKs spell them ("EC2", "Elastic Load Balancing v2",
  // "CloudWatch", "SQS", "S3") give the environment variable suffixes.
  static const ServiceInfo kEc2{"ec2", "ec2", "ec2", "EC2", "2016-11-15", ""};
  static const ServiceInfo kElbv2{"elbv2", "elasticloadbalancing", "elasticloadbalancing",
                                  "ELASTIC_LOAD_BALANCING_V2", "2015-12-01", ""};
  static const ServiceInfo kCloudWatch{"cloudwatch", "monitoring", "monitoring", "CLOUDWATCH", "2010-08-01", ""};
  static const ServiceInfo kSqs{"sqs", "sqs", "sqs", "SQS", "2012-11-05", "AmazonSQS"};
  static const ServiceInfo kS3{"s3", "s3", "s3", "S3", "", ""};
  switch (service) {
    case Service::kEc2: return kEc2;
    case Service::kElbv2: return kElbv2;
    case Service::kCloudWatch: return kCloudWatch;
    case Service::kSqs: return kSqs;
    case Service::kS3: return kS3;
  }
  return kEc2;
}

}  // namespace shoal::aws
